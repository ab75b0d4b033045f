"""Application services by what a user does (connections, catalog, imports, runs, schedules,
My Data), and the ports the web app and the CLI program against."""
