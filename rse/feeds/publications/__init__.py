"""Publications: posts, announcements, questions, links and wiki pages, their versions and pins."""
