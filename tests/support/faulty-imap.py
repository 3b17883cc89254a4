#!/usr/bin/env python3
"""A tiny IMAP responder for the STARTTLS-injection test (tests/imap_upload.rs).

Greets, answers CAPABILITY (STARTTLS, LOGINDISABLED) and STARTTLS with "TAG OK Begin TLS";
with --inject TEXT it appends TEXT + CRLF to that OK in the same write, as an attacker on
the path would. It never does TLS: it records, per connection, how many bytes the client
sent after the OK (and the first of them; 0x16 is a TLS ClientHello) in --log as one line
"after-starttls=N first=HEX", then closes. Prints "READY port=N" when listening.
"""
import argparse
import socket
import threading


def session(conn, args):
    conn.settimeout(5)
    f = conn.makefile("rb")
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] faulty IMAP ready\r\n")
    try:
        while True:
            line = f.readline(8192)
            if not line:
                return
            parts = line.decode("latin-1").strip().split(" ", 1)
            tag, command = parts[0], (parts[1].upper() if len(parts) > 1 else "")
            if command == "CAPABILITY":
                conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n"
                             + tag.encode() + b" OK done\r\n")
            elif command == "STARTTLS":
                reply = tag.encode() + b" OK Begin TLS negotiation now\r\n"
                if args.inject:
                    reply += args.inject.encode() + b"\r\n"
                conn.sendall(reply)
                got = b""
                conn.settimeout(1.5)
                try:
                    while len(got) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                except socket.timeout:
                    pass
                with open(args.log, "a") as log:
                    log.write("after-starttls=%d first=%s\n" % (len(got), got[:1].hex()))
                return
            elif command == "LOGOUT":
                conn.sendall(b"* BYE bye\r\n" + tag.encode() + b" OK bye\r\n")
                return
            else:
                conn.sendall(tag.encode() + b" BAD not here\r\n")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", required=True)
    p.add_argument("--inject", default="")
    args = p.parse_args()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", args.port))
    s.listen(8)
    print("READY port=%d" % s.getsockname()[1], flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=session, args=(conn, args), daemon=True).start()


if __name__ == "__main__":
    main()
