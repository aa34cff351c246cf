"""Metrics and plots for evaluating pipelines."""
