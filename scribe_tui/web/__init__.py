"""``scribe-tui serve``: the web dashboard and its JSON API, a third front end over the same
supervisor API as the TUI and ``--batch``. Two roles (viewer, operator) with tokens from the
environment; the page is plain HTML, CSS and JavaScript shipped in ``static/`` (no CDN).
No Textual and no command line here: ``cli`` registers ``command``."""
