-- Orders (chatbot.orders.store owns these tables): the customer's open cart and its checkout, the
-- orders placed, their items with the prices frozen at confirmation, and every status change.
CREATE TABLE carts (
    phone_number_id TEXT NOT NULL,
    wa_id           TEXT NOT NULL,
    state           TEXT NOT NULL,      -- JSON: chatbot.orders.checkout's state
    expires_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    PRIMARY KEY (phone_number_id, wa_id)
);
CREATE INDEX carts_expires ON carts (expires_at);

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,            -- the order number the customer quotes ("Pedido 0042")
    cart_id         TEXT NOT NULL UNIQUE,           -- one order per cart: "confirmar" twice makes one
    phone_number_id TEXT NOT NULL,
    wa_id           TEXT NOT NULL,
    contact_name    TEXT,
    status          TEXT NOT NULL,                  -- new, confirmed, picking, out_for_delivery,
                                                    -- ready_for_pickup, delivered, cancelled
    status_reason   TEXT,
    fulfilment      TEXT NOT NULL,                  -- delivery, pickup
    address         TEXT,
    area            TEXT,
    lat             REAL,
    lon             REAL,
    payment         TEXT NOT NULL,
    change_for      TEXT,                           -- "200.00", "none" or NULL
    subtotal_cents  INTEGER NOT NULL,
    fee_cents       INTEGER NOT NULL,
    total_cents     INTEGER NOT NULL,
    quoted_at       REAL,                           -- when the cart was made from a quote
    created_at      REAL NOT NULL,
    confirmed_at    REAL,
    updated_at      REAL NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1      -- two operators at once: the second is told
);
CREATE INDEX orders_status ON orders (status, created_at);
CREATE INDEX orders_customer ON orders (phone_number_id, wa_id, id);
CREATE INDEX orders_created ON orders (created_at);

CREATE TABLE order_items (
    id               INTEGER PRIMARY KEY,
    order_id         INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    sku              TEXT NOT NULL,
    name             TEXT NOT NULL,
    section          TEXT NOT NULL DEFAULT '',
    quantity         TEXT NOT NULL,                 -- units, or kg for products sold by the kilo
    unit_price_cents INTEGER NOT NULL,
    total_cents      INTEGER NOT NULL,
    state            TEXT NOT NULL DEFAULT 'ok',    -- ok, missing, substituted (the line it replaced)
    replaces         INTEGER                        -- for a substitute: the id of the line it replaces
);
CREATE INDEX order_items_order ON order_items (order_id, position);

CREATE TABLE order_events (
    id         INTEGER PRIMARY KEY,
    order_id   INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    ts         REAL NOT NULL,
    status     TEXT NOT NULL,       -- the status entered, or 'items' for a change of items
    actor      TEXT NOT NULL,
    reason     TEXT
);
CREATE INDEX order_events_order ON order_events (order_id, id);
