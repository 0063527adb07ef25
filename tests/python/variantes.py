# Sends the lecture's actions serialised with several json.dumps options
# (the server must accept them all), framed as the lecture does, and prints
# each exchange on two lines:
#   > <payload sent>
#   < <reply payload, verbatim>
# The Rust test (tests/python_client.rs) referees the replies.
#
# Uso: python3 variantes.py HOST PUERTO

import json
import socket
import sys

HOST = sys.argv[1]
PORT = int(sys.argv[2])

# (action, json.dumps keyword arguments), in the order the test expects.
PLAN = [
    ({'tipo': '\\juego_nuevo'}, {}),
    ({'tipo': '\\jugada', 'data': 3}, {}),
    ({'tipo': '\\jugada', 'data': 3}, {'separators': (',', ':')}),
    ({'tipo': '\\jugada', 'data': 2}, {'indent': 2}),
    ({'tipo': '\\jugada', 'data': 4}, {'indent': '\t', 'sort_keys': True}),
    ({'data': 1, 'tipo': '\\jugada'}, {}),
    ({'tipo': '\\jugada', 'data': 5, 'jugador': 'Ñandú ♥'}, {'ensure_ascii': False}),
    ({'tipo': '\\jugada', 'data': 6, 'jugador': 'Ñandú ♥'}, {'ensure_ascii': True}),
    ({'tipo': '\\jugada', 'data': 0}, {'separators': (' , ', ' : ')}),
    ({'tipo': '\\salir'}, {'separators': (',', ':')}),
]


def recibir(sock):
    # Same reading loop as the lecture's recibir_accion.
    bytes_largo = sock.recv(4)
    largo = int.from_bytes(bytes_largo, byteorder='big')
    datos = bytearray()
    while len(datos) < largo:
        parte = sock.recv(min(1024, largo - len(datos)))
        if not parte:
            raise ConnectionError('closed mid-frame')
        datos += parte
    return datos.decode('utf-8')


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect((HOST, PORT))
    print('<', recibir(sock))
    for accion, opciones in PLAN:
        texto = json.dumps(accion, **opciones)
        datos = texto.encode('utf-8')
        sock.sendall(len(datos).to_bytes(4, byteorder='big') + datos)
        print('>', json.dumps(texto))
        print('<', recibir(sock))
    sock.close()


if __name__ == '__main__':
    main()
