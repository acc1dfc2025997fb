"""The web app: server-rendered pages over the same services as the API (``witness serve``).

Pages work without JavaScript; the scripts in ``static/js`` add the browser's own SHA-256 of
each file, resumable uploads and offline receipt checks. Every asset is served from here.
"""
