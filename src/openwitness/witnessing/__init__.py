"""Witnessing between logs (C2SP tlog-witness): this server cosigns other logs' checkpoints
when they are consistent with what it saw before, and asks other witnesses to cosign its own."""
