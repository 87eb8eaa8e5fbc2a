"""WhatsApp customer-service bot for a Brazilian atacarejo."""

__version__ = "0.1.0"
