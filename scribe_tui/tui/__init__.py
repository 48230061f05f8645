"""The interactive terminal UI (Textual): the app, its screens and widgets, and the reader
that feeds them the engine's state. The only package that imports Textual."""
