"""WhatsApp Cloud API: the webhook's parsing, the durable inbox, the Graph API client."""
