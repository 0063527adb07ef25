# The lecture's file-transfer client ("Ejemplo cliente-servidor", semana 12),
# unmodified but for where host_recep / puerto_recep and the file name come
# from: the lecture leaves them as free variables, here they are argv.
import socket
import sys

host_recep = sys.argv[1] if len(sys.argv) > 1 else "localhost"
puerto_recep = int(sys.argv[2]) if len(sys.argv) > 2 else 8082
archivo = sys.argv[3] if len(sys.argv) > 3 else "enviar.bin"

# --- lecture code from here on ---
sock = socket.socket(socket.AF_INET,
socket.SOCK_STREAM)

sock.connect((host_recep, puerto_recep))
print("Conexión establecida.")

with open(archivo, 'rb') as binf:
    datos = binf.read()
    largo = len(datos)
    sock.sendall(largo.to_bytes(4,
byteorder='big'))
    sock.sendall(datos)

print("¡Archivo enviado!")

print("Respuesta:", sock.recv(4096).
decode('utf-8'))

# Cerramos el socket.
sock.close()
