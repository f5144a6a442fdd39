"""How the platform is run: the local stack, its gateway and the NGINX configuration."""
