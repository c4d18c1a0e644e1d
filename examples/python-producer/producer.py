"""A plain Python Dramatiq producer whose messages an opsq worker runs.

Where Dramatiq is installed (pip install 'dramatiq[rabbitmq]'), with an opsq worker running
(npx opsq worker ./actors.ts):

    python3 producer.py

The actor is declared here only to send to it: its name and queue match actors.ts, and its body
never runs in Python. Dramatiq's RabbitmqBroker declares the same queues as opsq (example-orders,
example-orders.DQ, example-orders.XQ, with the same arguments), so either side may declare them.
"""

import os

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker

broker = RabbitmqBroker(url=os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672"))
dramatiq.set_broker(broker)


@dramatiq.actor(actor_name="process_order", queue_name="example-orders")
def process_order(order_id, quantity, priority="normal"):
    raise NotImplementedError("runs in the opsq worker (actors.ts)")


if __name__ == "__main__":
    # Positional args arrive as the handler's arguments; kwargs as one trailing object.
    process_order.send("order-17", 3, priority="high")
    process_order.send("order-18", 1)
    # Through example-orders.DQ with an eta, run about 5 s later.
    process_order.send_with_options(args=("order-19", 2), delay=5_000)
    print("sent 3 orders to example-orders")
