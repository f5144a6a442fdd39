"""A local Stripe stand-in: PaymentIntents, Refunds, idempotency keys and signed webhooks.

Run it::

    python -m devtools.stripe_standin --port 12111 \\
        --webhook-url http://127.0.0.1:8104/api/payments/webhook \\
        --webhook-secret whsec_local
    # or env: STRIPE_STANDIN_PORT, STRIPE_WEBHOOK_URL, STRIPE_WEBHOOK_SECRET (+ _DUPLICATES,
    # _DELAY_MS, _RETRIES, _BACKOFF_MS) and STRIPE_STANDIN_API_KEY to accept a single key.

In-process (tests, ``make up``)::

    from devtools.stripe_standin.server import serve
    server, thread = serve(0, webhook_url, "whsec_test")  # port 0: any free port
    ...  # server.url, server.ledger.snapshot("payment_intents")
    server.close()

The real client (stripe 16.1) against it, exactly as the payments service should call it::

    import stripe

    client = stripe.StripeClient(
        "sk_test_anything",  # any sk_test_/rk_test_ key unless --api-key pins one
        base_addresses={"api": "http://127.0.0.1:12111"},
        max_network_retries=2,  # StripeClient does NOT retry by default (None means 0)
    )
    intent = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "payment_method": "pm_card_visa",  # or "tok_visa"
            "confirm": True,
            "allowed_payment_method_types": ["card"],  # see the return_url note below
            "metadata": {"orderId": str(order_id)},
            "description": f"Order {order_id}",
        },
        options={"idempotency_key": f"order-{order_id}-charge"},
    )
    # intent.status == "succeeded", intent.latest_charge == "ch_..."
    client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa"}, options={"idempotency_key": key}
    )
    client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
    refund = client.v1.refunds.create(
        params={"payment_intent": intent.id, "reason": "requested_by_customer",
                "metadata": {"orderId": str(order_id)}},
        options={"idempotency_key": f"order-{order_id}-refund"},
    )
    event = stripe.Webhook.construct_event(raw_body_bytes, stripe_signature_header, secret)
    # or client.construct_event(...); raises stripe.SignatureVerificationError on a bad
    # signature or a timestamp older than 300 s, ValueError on a body that is not JSON.

Declines raise ``stripe.CardError`` (``e.code == "card_declined"``, ``e.error.decline_code``,
``e.user_message``, ``e.error.payment_intent.id``); unknown ids raise
``stripe.InvalidRequestError`` (``e.code == "resource_missing"``); a reused key with other
parameters raises ``stripe.IdempotencyError``; a bad key ``stripe.AuthenticationError``; 5xx
``stripe.APIError``; a dropped connection ``stripe.APIConnectionError``.

Notes that hold for real Stripe too: the client sends a random ``Idempotency-Key`` on every POST
when none is given, and its retries reuse that key, so passing your own stable key is what makes
retries across processes safe. Send ``allowed_payment_method_types=["card"]`` (named
``payment_method_types`` before API 2026-10-28; both are accepted) or
``automatic_payment_methods={"enabled": True, "allow_redirects": "never"}``: without either,
Stripe enables redirect-capable payment methods and refuses ``confirm=True`` without a
``return_url``, and so does the stand-in. Test cards are in ``payment_methods.CARDS``
(``pm_card_<name>`` and ``tok_<name>``); prefer ``pm_card_*`` ids in ``payment_method`` (the
typed params of stripe 16.1 have no ``payment_method_data[card]``). Concurrent requests with
one key wait for the first and replay its response (real Stripe may answer 409 instead).

Test-only controls (no auth, JSON): ``GET /_standin/health``, ``GET /_standin/{payment_intents,
charges,refunds,payment_methods,events}``, ``POST /_standin/faults`` ``{"failNext": 2, "status":
500, "mode": "error"|"close"|"hang", "when": "before"|"after", "hangMs": 3000, "pathPrefix":
"/v1/"}`` (``DELETE`` disarms), ``GET|POST /_standin/webhooks`` ``{"url", "secret",
"duplicates", "delayMs", "retries", "backoffMs"}``, ``POST /_standin/webhooks/wait``
``{"timeoutMs": 5000}``, ``POST /_standin/reset``.
"""
