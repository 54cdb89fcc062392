"""File-system backends: the content-addressed blob store of the embedded mode."""
