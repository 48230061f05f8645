"""The interactive terminal UI (Textual): the app, its screens and widgets, and the poller
that feeds them from the engine. The only package that imports Textual."""
