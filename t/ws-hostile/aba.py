# aba.py PORT VICTIM_PATH: plugin ws_review keeps the websocket_t* of a
# connection that ended (/r/openclose); another client then opens
# VICTIM_PATH (another plugin's); ws_review sends on the stale pointer.
# Fails when the victim receives it (the handle's address was reused).
import sys, time, os; sys.path.insert(0, os.path.dirname(__file__)); from wsc import *
port, victim = int(sys.argv[1]), sys.argv[2]
x, _ = connect(port, "/r/openclose"); x.settimeout(2); x.recv(100)
x.sendall(frame(8, b"\x03\xe8")); time.sleep(0.2); x.close(); time.sleep(0.2)
y, _ = connect(port, victim)
z, _ = connect(port, "/r/badclose")
z.sendall(frame(1, b"stale")); time.sleep(0.5)
y.settimeout(1)
try: got = y.recv(100)
except socket.timeout: got = b""
print("aba: the victim on %s received %r" % (victim, got))
sys.exit(1 if got else 0)
