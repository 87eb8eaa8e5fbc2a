"""Orders: a quote becomes the customer's cart, the checkout turns it into an order, staff follow it.

``checkout.py`` is the pure step function (cart state, message, clock) -> (new state, reply);
``store.py`` owns the tables (carts, orders, order_items, order_events); ``hook.py`` is what the
bot's pipeline calls; ``brcode.py`` writes Pix "copia e cola" codes.
"""
