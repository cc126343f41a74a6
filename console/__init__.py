"""The operators' and supervisors' web console (FastAPI, server-rendered, zh-CN).

Built by console.app.create_app(settings); nothing global. Pages are sync handlers
(FastAPI runs them in worker threads), so database work never blocks the event loop
that `serve` shares with the FastAGI server.
"""
