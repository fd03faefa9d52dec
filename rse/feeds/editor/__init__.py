"""The writing editor's helpers: "@" suggestions, mention warnings, the preview and dropped files."""
