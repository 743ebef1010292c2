using System.Text;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// Redis Cluster's key (and shard channel) to slot mapping: CRC16-XMODEM of the hash tag (the part between the
/// first <c>{</c> and the next <c>}</c>, if not empty) or of the whole name, modulo 16384. Computed here so each
/// simulated instance can connect straight to the node that owns its channels; the bench checks the result
/// against <c>CLUSTER KEYSLOT</c> once per channel before trusting it.
/// </summary>
internal static class HashSlot
{
    public const int Count = 16384;

    public static int Of(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        var open = Array.IndexOf(bytes, (byte)'{');
        if (open >= 0)
        {
            var close = Array.IndexOf(bytes, (byte)'}', open + 1);
            if (close > open + 1)
            {
                return Crc16(bytes.AsSpan(open + 1, close - open - 1)) % Count;
            }
        }

        return Crc16(bytes) % Count;
    }

    // Bitwise rather than table-driven: a few dozen names per run, so speed does not matter.
    private static int Crc16(ReadOnlySpan<byte> data)
    {
        var crc = 0;
        foreach (var b in data)
        {
            crc ^= b << 8;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }

        return crc & 0xFFFF;
    }
}
