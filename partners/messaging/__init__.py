"""ISO 18626 messaging between libraries: outbox (outgoing), inbound endpoint logic, mapping tables.

    partners.notify.notify_partner(req, event, …)   what the borrowing/lending actions call
    partners.messaging.inbound.receive(body, …)      what POST /iso18626 calls
    partners.messaging.outbox                        queue / deliver / retry_due / retry_now
    partners.messaging.mapping                       the tables (ISO ⇄ transitions), as data
"""
