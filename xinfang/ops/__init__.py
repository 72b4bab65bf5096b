"""Operations: the job system (scheduled sweep with retries and a record of each run), the
worker, /healthz, /metrics. Sits beside the front doors (web | api | ops): it calls the
services and read models below it and nothing above."""
