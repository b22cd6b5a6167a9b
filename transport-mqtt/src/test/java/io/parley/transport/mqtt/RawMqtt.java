package io.parley.transport.mqtt;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An MQTT 5 client of a few bytes, written for the tests: it sends what no client library would
 * (strings that are not UTF-8, control characters), to see what the broker lets through.
 */
final class RawMqtt implements Closeable {

    /** What the broker answered to a QoS 1 PUBLISH: its PUBACK reason code, or -1 when it closed the connection. */
    record Outcome(int reasonCode) {
        boolean accepted() {
            return reasonCode >= 0 && reasonCode < 0x80;
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int packetId;

    RawMqtt(String host, int port) throws IOException {
        socket = new Socket(host, port);
        socket.setSoTimeout(5_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        string(body, "MQTT".getBytes(StandardCharsets.US_ASCII));
        body.write(5);       // protocol version
        body.write(0x02);    // clean start
        body.write(0);
        body.write(30);      // keep alive
        body.write(0);       // no properties
        string(body, ("parley-raw-" + System.nanoTime()).getBytes(StandardCharsets.US_ASCII));
        packet(0x10, body.toByteArray());
        int type = in.readUnsignedByte();
        byte[] connack = new byte[length()];
        in.readFully(connack);
        if (type != 0x20 || connack.length < 2 || connack[1] != 0) {
            throw new IOException("the broker refused the raw connection (CONNACK " + (connack.length > 1
                    ? connack[1] & 0xFF : -1) + ")");
        }
    }

    /** Builds the properties of a PUBLISH. */
    static final class Properties {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Properties contentType(byte[] value) {
            bytes.write(0x03);
            string(bytes, value);
            return this;
        }

        Properties responseTopic(byte[] value) {
            bytes.write(0x08);
            string(bytes, value);
            return this;
        }

        Properties correlationData(byte[] value) {
            bytes.write(0x09);
            string(bytes, value);
            return this;
        }

        Properties userProperty(byte[] name, byte[] value) {
            bytes.write(0x26);
            string(bytes, name);
            string(bytes, value);
            return this;
        }

        Properties payloadFormatUtf8() {
            bytes.write(0x01);
            bytes.write(1);
            return this;
        }

        byte[] toBytes() {
            return bytes.toByteArray();
        }
    }

    /** A QoS 1 PUBLISH; returns once the broker acknowledged it or closed the connection. */
    Outcome publish(String topic, Properties properties, byte[] payload) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        string(body, topic.getBytes(StandardCharsets.UTF_8));
        int id = ++packetId;
        body.write(id >> 8);
        body.write(id & 0xFF);
        byte[] props = properties.toBytes();
        varint(body, props.length);
        body.write(props);
        body.write(payload);
        packet(0x32, body.toByteArray());
        try {
            while (true) {
                int type = in.readUnsignedByte();
                byte[] rest = new byte[length()];
                in.readFully(rest);
                if ((type & 0xF0) == 0x40) { // PUBACK: packet id, then the reason code (absent: success)
                    return new Outcome(rest.length > 2 ? rest[2] & 0xFF : 0);
                }
                if ((type & 0xF0) == 0xE0) { // DISCONNECT
                    return new Outcome(-1);
                }
            }
        } catch (EOFException | java.net.SocketException e) {
            return new Outcome(-1);
        }
    }

    private int length() throws IOException {
        int value = 0;
        for (int shift = 0; shift < 28; shift += 7) {
            int b = in.readUnsignedByte();
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IOException("malformed remaining length");
    }

    private void packet(int header, byte[] body) throws IOException {
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        packet.write(header);
        varint(packet, body.length);
        packet.write(body);
        out.write(packet.toByteArray());
        out.flush();
    }

    private static void string(ByteArrayOutputStream out, byte[] value) {
        out.write(value.length >> 8);
        out.write(value.length & 0xFF);
        out.write(value, 0, value.length);
    }

    private static void varint(ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7F;
            value >>>= 7;
            out.write(value > 0 ? b | 0x80 : b);
        } while (value > 0);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
