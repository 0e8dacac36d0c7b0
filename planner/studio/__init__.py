"""``planner studio``: a local planning page where an official tries scenarios.

The workspace is read once (:class:`planner.studio.engine.Engine`); every edit of the working
scenario (:class:`planner.studio.session.Session`) is measured with the same stage functions
as ``planner run --scenario``; suggestions run the exact placement in a child process that
can be cancelled (:mod:`planner.studio.suggest`); the FastAPI application
(:mod:`planner.studio.app`) serves the page and its JSON API on 127.0.0.1 behind a token;
:mod:`planner.studio.server` starts it. See docs/studio.md.
"""
