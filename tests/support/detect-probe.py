#!/usr/bin/python3
"""detect-probe.py -- checks the detection test bed on its own, as a client would (python3 stdlib only).

  detect-probe.py dns HOST:PORT TYPE NAME        prints "rcode=N answers=M tc=0|1" over UDP (TYPE: A, MX, SRV)
  detect-probe.py https ADDR[:PORT] NAME PATH CAFILE  GET https://NAME/PATH from ADDR:PORT (443), certificate checked
                                                 for NAME against CAFILE; prints "status=N" then the body
  detect-probe.py smtp ADDR PORT NAME CAFILE tls|starttls
                                                 TLS to ADDR:PORT checked for NAME, EHLO; prints the reply
Exit 1 (with the reason on stderr) when the check fails: a refused certificate included.
"""
import random, smtplib, socket, ssl, struct, sys

TYPES = {'A': 1, 'MX': 15, 'SRV': 33, 'AAAA': 28}


def dns(server, qtype, name):
    host, port = server.rsplit(':', 1)
    qid = random.randrange(65536)
    q = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    q += b''.join(bytes([len(l)]) + l.encode() for l in name.rstrip('.').split('.')) + b'\0'
    q += struct.pack('>HH', TYPES[qtype], 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(q, (host, int(port)))
    r = s.recv(4096)
    rid, flags, _, an, _, _ = struct.unpack('>HHHHHH', r[:12])
    assert rid == qid, 'answer to another query'
    print(f'rcode={flags & 0xf} answers={an} tc={(flags >> 9) & 1}')


def https(addr, name, path, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    host, _, port = addr.partition(':')
    with socket.create_connection((host, int(port or 443)), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=name) as s:
            s.sendall(f'GET {path} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n'.encode())
            data = b''
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    head, _, body = data.partition(b'\r\n\r\n')
    print('status=' + head.split()[1].decode())
    sys.stdout.write(body.decode('utf-8', 'replace'))


def smtp(addr, port, name, cafile, how):
    ctx = ssl.create_default_context(cafile=cafile)
    # Connect to ADDR but check the certificate for NAME (as a client that resolved NAME would).
    if how == 'tls':
        raw = socket.create_connection((addr, int(port)), timeout=5)
        s = smtplib.SMTP_SSL(context=ctx, timeout=5)
        s.sock = ctx.wrap_socket(raw, server_hostname=name)
        s.file = None
        s.getreply()
    else:
        s = smtplib.SMTP(timeout=5)
        s._host = name
        s.sock = socket.create_connection((addr, int(port)), timeout=5)
        s.getreply()
        s.ehlo()
        if not s.has_extn('starttls'):
            raise SystemExit('no STARTTLS offered')
        s.starttls(context=ctx)
    code, text = s.ehlo()
    print(code, text.decode())
    s.quit()


try:
    cmd, args = sys.argv[1], sys.argv[2:]
    {'dns': dns, 'https': https, 'smtp': smtp}[cmd](*args)
except (OSError, ssl.SSLError, smtplib.SMTPException, AssertionError) as e:
    print(f'{type(e).__name__}: {e}', file=sys.stderr)
    sys.exit(1)
