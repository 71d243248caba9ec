"""A simulated bank (模拟银行) for development and tests: a stand-alone HTTP service with signed JSON messages.

Independent of Django: run it with ``python -m simbank --port 8700 --data var/simbank.json``.
"""
