"""Delivery over other channels comes with the notifications issue."""
