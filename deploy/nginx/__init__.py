"""The NGINX gateway configuration: a template and the code that renders it."""
