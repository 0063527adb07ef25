# El cliente de la clase (Networking, semana 12), sin modificar salvo:
#   - host y puerto vienen de argv (por defecto localhost 8080);
#   - los imports y cerrar_conexion, que la clase no muestra;
#   - recibir_estado, que la clase no muestra: es el espejo de
#     Servidor.recibir_accion de la clase (mismo código, leyendo del
#     socket del cliente) y devuelve (mensaje, continuar).
# Las líneas de __init__, interactuar_con_servidor, procesar_comando_input y
# enviar_accion son las de la clase.
#
# Uso: python3 cliente.py [HOST [PUERTO]]   (comandos por stdin)

import json
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "localhost"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8080


class Cliente:
    def __init__(self):
        self.host = HOST  # Valor arbitrario (clase: "localhost")
        self.port = PORT  # Valor arbitrario (clase: 8080)
        self.socket_cliente = \
            socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.socket_cliente.connect((self.host, self.port))
            print("Cliente conectado exitosamente al servidor.")
            self.interactuar_con_servidor()
        except ConnectionRefusedError:
            self.cerrar_conexion()

    def interactuar_con_servidor(self):
        while True:
            mensaje, continuar = self.recibir_estado()
            print(mensaje)
            if not continuar:
                break
            accion = self.procesar_comando_input()
            while accion is None:
                print('Input invalido.')
                accion = self.procesar_comando_input()
            self.enviar_accion(accion)
        self.cerrar_conexion()

    # Espejo de Servidor.recibir_accion (clase).
    def recibir_estado(self):
        bytes_largo_respuesta = self.socket_cliente.recv(4)
        largo_respuesta = int.from_bytes(bytes_largo_respuesta, byteorder="big")
        bytes_respuesta = bytearray()
        while len(bytes_respuesta) < largo_respuesta:
            resto = largo_respuesta - len(bytes_respuesta)
            bytes_respuesta += self.socket_cliente.recv(min(1024, resto))
        respuesta_json = bytes_respuesta.decode('utf-8')
        respuesta = json.loads(respuesta_json)
        return respuesta['mensaje'], respuesta['continuar']

    def procesar_comando_input(self):
        input_usuario = input('-> ')
        if input_usuario in ['\\juego_nuevo', '\\salir']:
            return {'tipo': input_usuario}
        if ' ' in input_usuario:
            division = input_usuario.split(' ')
            if len(division) == 2 and division[0] == '\\jugada' \
                    and division[1].isnumeric():
                return {'tipo': division[0], 'data': int(division[1])}
        return None

    def enviar_accion(self, mensaje):
        mensaje_json = json.dumps(mensaje)
        mensaje_codificado = mensaje_json.encode('utf-8')
        tamano_mensaje_bytes = len(mensaje_codificado).to_bytes(4, byteorder='big')
        self.socket_cliente.sendall(tamano_mensaje_bytes + mensaje_codificado)

    # No aparece en la clase.
    def cerrar_conexion(self):
        self.socket_cliente.close()


if __name__ == "__main__":
    Cliente()
