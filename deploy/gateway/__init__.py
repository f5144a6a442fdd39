"""A small WSGI reverse proxy that routes like the NGINX gateway, for machines without NGINX."""
