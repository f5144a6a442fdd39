"""Development and test tools: never in the production wheel, image or chart."""
