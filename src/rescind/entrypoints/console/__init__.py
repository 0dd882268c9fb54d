"""The agent console and the installer portal (server-rendered HTML under ``/console``)."""
