"""chatbot-web: the webhook, and the operators' pages."""
