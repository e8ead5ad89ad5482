"""Simulated ACK, ECS, SLB, RAM, OSS, Kubernetes and Slack endpoints speaking the real wire protocols."""
