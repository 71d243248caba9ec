"""Background work of payments (closing unpaid orders, passing expired waitlist offers) is added with its services."""
