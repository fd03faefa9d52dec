"""The social layer: comments, likes, "same question", good answers, follows and suggestions."""
