"""``swapkit view``: a local web app over one run store or every run under a folder.

Pages rendered on the server from the SQLite stores, opened read-only (safe while a replay
writes), with filtering, sorting and paging done there: a page never carries a whole run.
Standard library only (``http.server`` on 127.0.0.1): nothing to install, nothing listens
beyond this machine. ``runs`` finds and summarises runs, ``index`` filters and pages a
run's records, ``pages`` renders HTML, ``review`` serves blind, paired human review (the
one write: a label), ``server`` routes requests.

Beside the pipeline: may import report, decision, scoring, store, ingest (the labels), the
vocabulary and support.
"""

from swapkit.view.server import ViewerApp, serve

__all__ = ["ViewerApp", "serve"]
