"""Background jobs: long work (statistics imports first) run off the request, on a Redis queue
when configured (dramatiq) or in a thread of the process otherwise, with its progress kept in
the database for the pages and commands that show it."""
