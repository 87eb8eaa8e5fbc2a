"""The bot: one customer message in, one reply out."""
