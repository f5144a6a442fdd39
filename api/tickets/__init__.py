"""The tickets service: sellers list tickets; order events lock, unlock and sell them."""
