using CacheSidecar.Contracts.V1;
using Google.Protobuf;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>Short forms for the calls tests make over and over.</summary>
internal static class GrpcTestExtensions
{
    public const string Json = "application/json";

    public static async Task<GetResponse> GetAsync(this Cache.CacheClient client, string ns, string key) =>
        await client.GetAsync(new GetRequest { Namespace = ns, Key = key });

    public static async Task<PutResponse> PutJsonAsync(this Cache.CacheClient client, string ns, string key, string json, string ifMatch = "") =>
        await client.PutAsync(new PutRequest { Namespace = ns, Key = key, Value = ByteString.CopyFromUtf8(json), ContentType = Json, IfMatch = ifMatch });

    public static async Task<DeleteResponse> DeleteAsync(this Cache.CacheClient client, string ns, string key, string ifMatch = "") =>
        await client.DeleteAsync(new DeleteRequest { Namespace = ns, Key = key, IfMatch = ifMatch });

    public static string Text(this GetResponse response) => response.Value.ToStringUtf8();
}
