"""Gunicorn settings for Wildledger behind nginx (deploy/nginx/wildledger.conf).

Installed as /etc/wildledger/gunicorn.conf.py and started by
deploy/systemd/wildledger.service:

    gunicorn --config /etc/wildledger/gunicorn.conf.py 'server:create_app()'

nginx terminates TLS and buffers every request body before passing it on, so a phone
on slow 3G holds an nginx connection, never a gunicorn thread: the timeouts below are
for a whole request arriving over loopback, not for the phone's upload.
"""

# Only nginx on the same host talks to gunicorn.
bind = "127.0.0.1:8000"

# Two cores: one process per core, threads for the time spent waiting on PostgreSQL.
# The failed-authentication limiter (server/ratelimit.py) counts per process, so with
# two processes an address can fail up to 2 x WILDLEDGER_AUTH_FAILURES_PER_MINUTE
# times a minute before every process refuses it.
worker_class = "gthread"
workers = 2
threads = 4

# No max_requests: restarting a worker would forget its rate-limit counts and its
# cache of unwrapped server keys.

# A request reaches gunicorn whole; 60 s covers the slowest push (ledger append,
# decryption, filing) with room to spare. Slower than that is a fault to see in the log.
timeout = 60
graceful_timeout = 30
# Idle keep-alive to nginx's upstream pool; longer than nginx's keepalive_timeout (4 s)
# in the upstream block, so nginx never reuses a connection gunicorn is closing.
keepalive = 5

# Header limits. Device requests carry five Wl-* headers of at most ~100 bytes each,
# read-API requests an Authorization header; 8190 bytes per field (gunicorn's default,
# and nginx's large_client_header_buffers of 8k) is ample. The body limit is the app's
# WILDLEDGER_MAX_BODY_BYTES.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# Trust X-Forwarded-Proto only from nginx on loopback (sets wsgi.url_scheme to https).
# The client address (REMOTE_ADDR) is not taken from X-Forwarded-For by gunicorn: that
# needs the app's ProxyFix, enabled with WILDLEDGER_PROXY_FIX=1 (see deploy/README.md).
forwarded_allow_ips = "127.0.0.1,::1"

# Logs go to stderr, i.e. the journal. The access log has the path without the query
# string (%(U)s), no referrer, and the client address nginx saw (nginx overwrites
# X-Forwarded-For with $remote_addr, so the header holds exactly one address).
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%({x-forwarded-for}i)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

proc_name = "wildledger"

# gunicorn >= 25.1 opens a control socket under $HOME by default; the service does not
# need it and its home is not writable under ProtectSystem=strict. Older gunicorn
# versions ignore this name.
control_socket_disable = True
