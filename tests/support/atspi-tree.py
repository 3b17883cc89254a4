#!/usr/bin/python3
"""atspi-tree.py -- Mailroom's accessibility tree as a screen reader gets it (AccessKit -> AT-SPI).

  atspi-tree.py [BIN] [--json] [--keys "Tab Tab shift+Tab"] [--timeout 30] [--orca LOG] [-- ARGS...]

BIN (else $MAILROOM_BIN) runs with ARGS (none: the compose window) in a world of its own: a
private Xvfb, D-Bus session bus and AT-SPI bus, org.a11y.Status IsEnabled set before the start
(accesskit_unix stays off unless it or ScreenReaderEnabled is true), MAILROOM_HOME a fresh
folder unless set. The window gets the X input focus (there is no window manager). Prints the
tree of the application named like "mailroom", one node a line indented by depth; --json gives
{app, nodes: [{path, depth, role, name, description, states, value, text, actions,
attributes}], keys}. --keys sends each key (X keysym names, shift+/ctrl+/alt+ modifiers) through
the AT-SPI registry and reports the focused node after each; the tree is the one after the keys.
Exit 1, with the reason on stderr, when something does not start within --timeout seconds.
Needs /usr/bin/python3 with python3-pyatspi, Xvfb, xwininfo, dbus-daemon, at-spi2-core, gdbus.
"""
import argparse, contextlib, ctypes, importlib.util, json, os, re, shutil, signal, subprocess
import sys, tempfile, time

LAUNCHER = '/usr/libexec/at-spi-bus-launcher'
# The states worth asserting over (pyatspi.STATE_ + the name in capitals); "disabled" is added
# for a node without STATE_ENABLED.
STATES = ('focusable focused checked pressed selected expanded editable multi_line read_only '
          'invalid_entry required modal active').split()
# X keysyms for --keys (single characters are their Latin-1 code).
KEYSYMS = {'Tab': 0xff09, 'ISO_Left_Tab': 0xfe20, 'Return': 0xff0d, 'Escape': 0xff1b,
           'space': 0x20, 'BackSpace': 0xff08, 'Delete': 0xffff, 'Home': 0xff50, 'End': 0xff57,
           'Left': 0xff51, 'Up': 0xff52, 'Right': 0xff53, 'Down': 0xff54, 'Page_Up': 0xff55,
           'Page_Down': 0xff56, **{f'F{n}': 0xffbd + n for n in range(1, 13)}}
MODIFIERS = {'shift': 1, 'ctrl': 4, 'control': 4, 'alt': 8}  # X modifier masks

# Runs /usr/bin/orca with its debug log (argv[1]) opened line-buffered.
ORCA_LINE_BUFFERED = '''
import builtins, runpy, sys
log, real_open = sys.argv.pop(1), builtins.open
def line_buffered(file, mode='r', *args, **kw):
    if file == log and 'w' in mode:
        return real_open(file, mode, 1, **kw)
    return real_open(file, mode, *args, **kw)
builtins.open = line_buffered
sys.argv[0] = '/usr/bin/orca'
runpy.run_path('/usr/bin/orca', run_name='__main__')
'''
children = []  # every process started, to end (with its process group) on the way out
tmp = tempfile.mkdtemp(prefix='atspi-tree.')  # XDG_RUNTIME_DIR, MAILROOM_HOME, the app's log


def fail(msg):
    print(f'atspi-tree: {msg}', file=sys.stderr)
    sys.exit(1)


def start(argv, env, **kw):
    """Starts argv in a process group of its own (so the group can be ended as one)."""
    p = subprocess.Popen(argv, env=env, start_new_session=True, **kw)
    children.append(p)
    return p


def stop_all():
    for p in reversed(children):  # TERM, and KILL the group if its leader is there 3 s later
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def until(what, timeout, check, step=0.1, detail=lambda: ''):
    """Polls check() until it returns something true; fails after timeout seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = check()
        if got:
            return got
        time.sleep(step)
    fail(f'timed out after {timeout:g} s waiting for {what}{detail()}')


def a11y_world(timeout):
    """Xvfb, a session bus and the AT-SPI bus (enabled); returns the environment to run in."""
    drop = ('GTK_A11Y', 'NO_AT_BRIDGE', 'WAYLAND_DISPLAY', 'DBUS_SESSION_BUS_ADDRESS',
            'AT_SPI_BUS_ADDRESS')  # nothing may turn a11y off or point at another bus
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env['XDG_RUNTIME_DIR'] = os.path.join(tmp, 'run')  # the a11y bus socket goes there
    os.makedirs(env['XDG_RUNTIME_DIR'], mode=0o700)
    # Xvfb picks a free display and writes its number to the pipe.
    r, w = os.pipe()
    start(['Xvfb', '-displayfd', str(w), '-screen', '0', '1100x760x24', '-nolisten', 'tcp'],
          env, pass_fds=(w,), stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        num = f.readline().strip()
    env['DISPLAY'] = ':' + (num or fail('Xvfb did not start'))
    env.pop('XAUTHORITY', None)  # no -auth: the display takes local clients as they are
    bus = start(['dbus-daemon', '--session', '--nofork', '--print-address'], env,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    env['DBUS_SESSION_BUS_ADDRESS'] = bus.stdout.readline().strip() or fail('no session bus')
    start([LAUNCHER, '--launch-immediately'], env, stdout=subprocess.DEVNULL,
          stderr=subprocess.DEVNULL)

    def status(method, *args):  # org.a11y.Status on the launcher's org.a11y.Bus
        return subprocess.run(['gdbus', 'call', '--session', '--dest', 'org.a11y.Bus',
                               '--object-path', '/org/a11y/bus', '--method',
                               'org.freedesktop.DBus.Properties.' + method, 'org.a11y.Status',
                               'IsEnabled', *args], env=env, capture_output=True).returncode == 0
    until('the AT-SPI bus launcher', timeout, lambda: status('Get'))
    status('Set', '<true>') or fail('could not set org.a11y.Status IsEnabled')
    return env


def query(acc, iface, get):
    """get(the iface interface of acc), or None when acc does not implement it."""
    try:
        return get(getattr(acc, 'query' + iface)())
    except NotImplementedError:
        return None


def node_info(acc, path):
    """One node as a dict: the part of AT-SPI that a test asserts over."""
    ss = acc.getState()
    states = [s for s in STATES if ss.contains(getattr(pyatspi, 'STATE_' + s.upper()))]
    if not ss.contains(pyatspi.STATE_ENABLED):
        states.append('disabled')
    return {'path': '.'.join(map(str, path)), 'depth': len(path), 'role': acc.getRoleName(),
            'name': acc.name or '', 'description': acc.description or '', 'states': states,
            'value': query(acc, 'Value', lambda v: v.currentValue),
            'text': query(acc, 'Text', lambda t: t.getText(0, t.characterCount)),
            'actions': query(acc, 'Action',
                             lambda a: [a.getName(i) for i in range(a.nActions)]) or [],
            'attributes': dict(a.split(':', 1) for a in acc.getAttributes() if ':' in a)}


def walk(acc, path=()):
    """The subtree below acc (acc itself excluded when path is empty), depth first."""
    nodes = [node_info(acc, path)] if path else []
    for i in range(acc.childCount):
        child = acc.getChildAtIndex(i)
        if child is not None:
            nodes += walk(child, path + (i,))
    return nodes


def find_app(name_part):
    """The first application on the AT-SPI desktop whose name contains name_part."""
    return next((a for a in pyatspi.Registry.getDesktop(0)
                 if a is not None and name_part in (a.name or '').lower()), None)


def line(n):
    """One node as a line of text: role "name" [states] value= text= description= actions=."""
    out = '  ' * (n['depth'] - 1) + f"{n['role']} {json.dumps(n['name'], ensure_ascii=False)}"
    if n['states']:
        out += ' [' + ' '.join(n['states']) + ']'
    for key in ('value', 'text', 'description'):
        if n[key] not in (None, ''):
            out += f' {key}={json.dumps(n[key], ensure_ascii=False)}'
    if n['actions']:
        out += ' actions=' + ','.join(n['actions'])
    for k, v in n['attributes'].items():
        out += f' @{k}={json.dumps(v, ensure_ascii=False)}'
    return out


def focus_window(env, app_name):
    """Gives the app's X window the input focus (no window manager under Xvfb does): winit, and
    so AccessKit, report no focused widget while the window itself has no focus."""
    tree = subprocess.run(['xwininfo', '-root', '-children'], env=env, capture_output=True,
                          text=True).stdout
    # Top-level windows: '  0x200002 "Mailroom": ("" "mailroom")  960x700+0+0  +0+0'
    wins = [int(m[1], 16) for m in re.finditer(r'^\s+(0x[0-9a-f]+) (".*)$', tree, re.M)
            if app_name in m[2].lower()]
    if not wins:
        fail(f'no X window with a title or class like {app_name!r}:\n{tree}')
    x11 = ctypes.CDLL('libX11.so.6')
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XSetInputFocus.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_ulong]
    x11.XFlush.argtypes = x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(env['DISPLAY'].encode()) or fail('cannot open ' + env['DISPLAY'])
    x11.XSetInputFocus(dpy, wins[0], 2, 0)  # RevertToParent, CurrentTime
    x11.XFlush(dpy)
    x11.XCloseDisplay(dpy)


def press(token):
    """Sends one key like "Tab", "shift+Tab", "ctrl+Return" or "a" through the AT-SPI registry."""
    *mods, key = token.split('+')
    sym = KEYSYMS.get(key, ord(key) if len(key) == 1 else None)
    if sym is None or any(m.lower() not in MODIFIERS for m in mods):
        fail(f'unknown key {token!r} (known: {" ".join(KEYSYMS)}, single characters, '
             f'with {"+ ".join(MODIFIERS)}+)')
    mask = sum(MODIFIERS[m.lower()] for m in mods)
    if mask:
        pyatspi.Registry.generateKeyboardEvent(mask, None, pyatspi.KEY_LOCKMODIFIERS)
    pyatspi.Registry.generateKeyboardEvent(sym, None, pyatspi.KEY_SYM)
    if mask:
        pyatspi.Registry.generateKeyboardEvent(mask, None, pyatspi.KEY_UNLOCKMODIFIERS)


def speech_to_nowhere(env):
    """An environment whose speech-dispatcher (started by Orca) speaks with espeak-ng into
    ALSA's null device: with no sound card, its default output blocked Orca's first word."""
    home = os.path.join(tmp, 'speech-home')
    config = os.path.join(home, '.config', 'speech-dispatcher')
    os.makedirs(os.path.join(config, 'modules'))
    with open(os.path.join(config, 'speechd.conf'), 'w') as f:
        f.write('AudioOutputMethod "alsa"\n'
                'AddModule "espeak-ng" "sd_espeak-ng" "espeak-ng.conf"\n'
                'DefaultModule espeak-ng\n')
    open(os.path.join(config, 'modules', 'espeak-ng.conf'), 'w').close()
    with open(os.path.join(home, '.asoundrc'), 'w') as f:
        f.write('pcm.!default { type null }\n')
    return {**env, 'HOME': home, 'XDG_CONFIG_HOME': os.path.join(home, '.config')}


def main():
    global pyatspi
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('bin', nargs='?', default=os.environ.get('MAILROOM_BIN'))
    ap.add_argument('args', nargs='*', help='arguments for BIN (after --)')
    ap.add_argument('--json', action='store_true', help='print the nodes as JSON')
    ap.add_argument('--keys', default='', help='keys to send, space separated, e.g. "Tab Tab"')
    ap.add_argument('--timeout', type=float, default=30, help='seconds to wait for the app')
    ap.add_argument('--app-name', default='mailroom', help='part of the application name')
    ap.add_argument('--key-delay', type=float, default=0.4, help='seconds after each key')
    ap.add_argument('--orca', metavar='FILE', help='run the Orca screen reader (Debian orca) too, '
                    'its debug log, with what it speaks ("SPEECH OUTPUT"), written to FILE')
    opts = ap.parse_args()
    if not opts.bin:
        fail('no binary: give BIN or set MAILROOM_BIN')
    if importlib.util.find_spec('pyatspi') is None:
        fail(f'no pyatspi in {sys.executable}: run with /usr/bin/python3 (python3-pyatspi)')
    env = a11y_world(opts.timeout)
    env.setdefault('MAILROOM_HOME', os.path.join(tmp, 'home'))
    if opts.orca:
        # Orca's debug log is block-buffered and lost when Orca is ended by a signal: open
        # it line-buffered. A throwaway preferences folder keeps the person's settings out.
        log_path = os.path.abspath(opts.orca)
        start(['/usr/bin/python3', '-c', ORCA_LINE_BUFFERED, log_path, '--replace',
               '--user-prefs', os.path.join(tmp, 'orca'), '--debug-file', log_path],
              speech_to_nowhere(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)  # Orca registers its keyboard listener before the window appears
    log = open(os.path.join(tmp, 'app.log'), 'w+')
    app_proc = start([os.path.abspath(opts.bin)] + opts.args, env, stdout=log, stderr=log)
    # pyatspi connects to the bus named in the environment when first used: import it now.
    os.environ.clear()
    os.environ.update(env)
    import pyatspi

    def app_up():
        if app_proc.poll() is not None:
            log.seek(0)
            fail(f'{opts.bin} exited with {app_proc.returncode} before it showed up:\n'
                 + log.read()[-3000:])
        # Up when its window has content; settled when two looks 0.5 s apart agree.
        app = find_app(opts.app_name.lower())
        shape = lambda: [(n['path'], n['role'], n['name']) for n in walk(app)]
        first = shape() if app is not None else []
        return app if len(first) > 1 and (time.sleep(0.5) or first == shape()) else None

    app = until(f'an application named like {opts.app_name!r} on the AT-SPI bus',
                opts.timeout, app_up, step=0.2, detail=lambda: ' (applications there: '
                + ', '.join(repr(a.name) for a in pyatspi.Registry.getDesktop(0) if a) + ')')
    # As on a desktop, the window has the keyboard (else no widget is ever "focused").
    focus_window(env, opts.app_name.lower())
    time.sleep(opts.key_delay)
    focus_log = []
    for token in opts.keys.split():
        press(token)
        time.sleep(opts.key_delay)
        focused = [n for n in walk(app) if 'focused' in n['states']]
        focus_log.append({'key': token, 'focused': focused[-1] if focused else None})
    nodes = walk(app)  # the tree as the keys left it
    if opts.json:
        print(json.dumps({'app': app.name, 'nodes': nodes, 'keys': focus_log}, indent=1,
                         ensure_ascii=False))
        return
    print(f'application {json.dumps(app.name)}')
    for n in nodes:
        print(line(n))
    for i, step in enumerate(focus_log, 1):
        f = step['focused']
        where = (f"{f['role']} {json.dumps(f['name'], ensure_ascii=False)} @{f['path']}"
                 if f else '(nothing focused)')
        print(f'key {i:2} {step["key"]:<10} -> {where}')


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so `finally` ends the children
    try:
        main()
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
