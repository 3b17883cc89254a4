#!/usr/bin/python3
"""https-files.py -- a small HTTPS (or plain HTTP) file server for client tests (python3 stdlib only).

  https-files.py --bind 127.0.0.2 --port 443 --root DIR --cert F --key F [--vhosts] [--behaviours FILE]
                 [--log FILE] [--plain]

Serves GET/HEAD of files under DIR by path (the query string is ignored). With --vhosts the file for
https://HOST/PATH is DIR/HOST/PATH (HOST without its port, lower-case), so one server on one address
answers for many names (the certificate names them all). --port 0 picks a free port. Prints
"READY port=N pid=P" on stdout once listening. Every request is appended to --log as one JSON line:
{"host": ..., "path": ..., "query": ..., "method": ..., "time": ...}, written before the answer.

--behaviours FILE: a JSON object whose keys are "PATH" (or "HOST/PATH" with --vhosts, PATH starting
with "/") and whose values say what to do instead of (or before) serving the file:
  {"status": 302, "location": "https://elsewhere/..."}  answer with that status and Location header
  {"status": 404}                                        answer 404 (any status without location)
  {"delay": 30}                                          wait N seconds, then answer as usual
  {"huge": 2097152}                                      a body of at least N bytes, streamed chunked
                                                         (no Content-Length): if the file holds the
                                                         marker <!--HUGE-->, the padding replaces it
                                                         (inside an XML comment), else the body is
                                                         only padding
The file is re-read at every request, so a test may add files or behaviours while it runs.
"""
import argparse, http.server, json, os, ssl, sys, threading, time, urllib.parse

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument('--bind', default='127.0.0.1')
p.add_argument('--port', type=int, default=0)
p.add_argument('--root', required=True)
p.add_argument('--cert'); p.add_argument('--key')
p.add_argument('--plain', action='store_true', help='plain HTTP (no TLS)')
p.add_argument('--vhosts', action='store_true')
p.add_argument('--behaviours')
p.add_argument('--log')
a = p.parse_args()
if not a.plain and not (a.cert and a.key):
    p.error('--cert and --key are needed unless --plain')
log_lock = threading.Lock()


def behaviours():
    if not a.behaviours or not os.path.exists(a.behaviours):
        return {}
    with open(a.behaviours) as f:
        return json.load(f)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'https-files'

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body=b'', headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)
        self.close_connection = True

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        host = (self.headers.get('Host') or '').lower()
        if host.startswith('['):
            host = host.split(']')[0] + ']'
        else:
            host = host.split(':')[0]
        if a.log:
            line = json.dumps({'host': host, 'path': path, 'query': url.query, 'method': self.command,
                               'time': time.time()})
            with log_lock, open(a.log, 'a') as f:
                f.write(line + '\n')
        key = f'{host}{path}' if a.vhosts else path
        b = behaviours().get(key, {})
        if b.get('delay'):
            time.sleep(float(b['delay']))
        if b.get('location'):
            return self.answer(int(b.get('status', 302)), b'', [('Location', b['location'])])
        if b.get('status'):
            return self.answer(int(b['status']), b'not here\n', [('Content-Type', 'text/plain')])
        base = os.path.join(a.root, host) if a.vhosts else a.root
        file = os.path.normpath(os.path.join(base, path.lstrip('/')))
        if '..' in path.split('/') or not os.path.isfile(file):
            return self.answer(404, b'not found\n', [('Content-Type', 'text/plain')])
        with open(file, 'rb') as f:
            body = f.read()
        if b.get('huge'):
            return self.huge(body, int(b['huge']))
        self.answer(200, body, [('Content-Type', 'application/xml')])

    def huge(self, body, size):
        head, marker, tail = body.partition(b'<!--HUGE-->')
        if not marker:
            head, tail = b'', b''
        self.send_response(200)
        self.send_header('Content-Type', 'application/xml')
        self.send_header('Transfer-Encoding', 'chunked')
        self.send_header('Connection', 'close')
        self.end_headers()
        self.close_connection = True
        if self.command == 'HEAD':
            return
        try:
            def chunk(data):
                self.wfile.write(b'%x\r\n%s\r\n' % (len(data), data))
            chunk(head + (b'<!--' if marker else b''))
            block, sent = b'x' * 16384, 0
            while sent < size:
                chunk(block); sent += len(block)
            chunk((b'-->' if marker else b'') + tail)
            self.wfile.write(b'0\r\n\r\n')
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client stopped reading: what a capped client does


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def process_request_thread(self, request, client_address):
        # The TLS handshake happens here, in the request's own thread: a client that
        # stalls or refuses the certificate holds up no one else.
        if ctx:
            try:
                request.settimeout(30)
                request = ctx.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                self.shutdown_request(request)
                return
        super().process_request_thread(request, client_address)

    def handle_error(self, request, client_address):
        pass  # a client that gives up mid-answer is not the server's problem


ctx = None
if not a.plain:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)
server = Server((a.bind, a.port), Handler)
print(f'READY port={server.server_address[1]} pid={os.getpid()}', flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
