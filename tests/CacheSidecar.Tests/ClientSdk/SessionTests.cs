using System.Text;
using CacheSidecar.Client;
using CacheSidecar.Client.DistributedCache;
using CacheSidecar.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.ClientSdk;

/// <summary>
/// ASP.NET Core's session middleware, unchanged, over the SDK's distributed cache: real web applications (the
/// in-memory test server) whose sessions live in a real sidecar over real Redis.
/// </summary>
public sealed class SessionTests(RedisSingleFixture redis, MongoFixture mongo) : IAsyncDisposable
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(7);

    private readonly SidecarHost _host = SidecarHost.Start(redis.Configuration, mongo.ConnectionString, kestrel: true);

    // Both instances unprotect each other's session cookies, as a deployment's instances share a key ring.
    private readonly EphemeralDataProtectionProvider _keyRing = new();
    private readonly List<WebApplication> _apps = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_value_set_in_one_request_is_read_in_the_next_and_lives_in_the_sidecar_for_the_idle_timeout()
    {
        var client = (await StartAppAsync()).GetTestClient();

        var cookie = await PutInCartAsync(client, "apples", cookie: null);
        var read = await CartAsync(client, cookie!);

        Assert.Equal("apples", read);
        var stored = await _host.Client.GetAsync(PureCache, SessionKey(cookie!));
        Assert.True(stored.Found);
        Assert.Contains("apples"u8.ToArray(), Windows(stored.Value.ToByteArray(), "apples".Length));
        Assert.Contains($"sliding={IdleTimeout.TotalMilliseconds}", stored.ContentType, StringComparison.Ordinal);
        Assert.InRange(stored.TtlRemaining.ToTimeSpan(), IdleTimeout - TimeSpan.FromSeconds(1), IdleTimeout);
    }

    [Fact]
    public async Task Two_app_instances_share_one_session_through_the_sidecar()
    {
        var a = (await StartAppAsync()).GetTestClient();
        var b = (await StartAppAsync()).GetTestClient();

        var cookie = await PutInCartAsync(a, "apples", cookie: null);
        var readOnB = await CartAsync(b, cookie!);
        await PutInCartAsync(b, "pears", cookie);
        var readOnA = await CartAsync(a, cookie!);

        Assert.Equal("apples", readOnB);
        Assert.Equal("pears", readOnA);
    }

    [Fact]
    public async Task Each_request_slides_the_session_and_an_idle_one_expires_after_the_idle_timeout()
    {
        var client = (await StartAppAsync()).GetTestClient();
        var cookie = await PutInCartAsync(client, "apples", cookie: null);

        // The sidecar's clock: each read moves the entry's end to a full idle timeout from then.
        _host.Time.Advance(IdleTimeout - TimeSpan.FromMinutes(1));
        var readBeforeTimeout = await CartAsync(client, cookie!);
        _host.Time.Advance(IdleTimeout - TimeSpan.FromMinutes(1));
        var readAfterSliding = await CartAsync(client, cookie!);
        _host.Time.Advance(IdleTimeout + TimeSpan.FromSeconds(1));
        var readWhenIdle = await CartAsync(client, cookie!);

        Assert.Equal("apples", readBeforeTimeout);
        Assert.Equal("apples", readAfterSliding); // 12 minutes after the write: alive because it was read
        Assert.Equal("(empty)", readWhenIdle);
    }

    private async Task<WebApplication> StartAppAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddCacheSidecarClient(o => o.Address = _host.KestrelAddress!);
        builder.Services.AddCacheSidecarDistributedCache(o => o.Namespace = PureCache);
        builder.Services.AddSession(o => o.IdleTimeout = IdleTimeout);
        builder.Services.AddSingleton<IDataProtectionProvider>(_keyRing);
        var app = builder.Build();
        app.UseSession();
        app.MapPost("/cart/{item}", (HttpContext context, string item) =>
        {
            context.Session.SetString("cart", item); // loads the session with the blocking Get
            return "ok";
        });
        app.MapGet("/cart", async (HttpContext context) =>
        {
            await context.Session.LoadAsync(); // the asynchronous Get
            return context.Session.GetString("cart") ?? "(empty)";
        });
        _apps.Add(app);
        await app.StartAsync();
        return app;
    }

    /// <summary>Returns the session cookie (<c>name=value</c>): the one given, or the one the response set.</summary>
    /// <remarks>
    /// The client reads the whole response, which ends only after the session middleware has committed the
    /// session (written it to the sidecar), so the next request sees it.
    /// </remarks>
    private static async Task<string?> PutInCartAsync(HttpClient client, string item, string? cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/cart/{item}");
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        if (!response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            return cookie;
        }

        var session = SetCookieHeaderValue.ParseList(setCookies.ToList()).Single();
        return $"{session.Name}={session.Value}";
    }

    private static async Task<string> CartAsync(HttpClient client, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/cart");
        request.Headers.Add("Cookie", cookie);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>
    /// The key the session is stored under in the distributed cache: the cookie's value, unprotected as the
    /// session middleware does (data protection purpose "SessionMiddleware", base64 without padding).
    /// </summary>
    private string SessionKey(string cookie)
    {
        // Cookie values travel URL-encoded (base64's '+' and '/'); the middleware reads them decoded.
        var value = Uri.UnescapeDataString(cookie[(cookie.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        var padded = value.PadRight(value.Length + ((4 - (value.Length % 4)) % 4), '=');
        var protector = _keyRing.CreateProtector("SessionMiddleware");
        return Encoding.UTF8.GetString(protector.Unprotect(Convert.FromBase64String(padded)));
    }

    private static IEnumerable<byte[]> Windows(byte[] bytes, int size) =>
        Enumerable.Range(0, Math.Max(0, bytes.Length - size + 1)).Select(i => bytes[i..(i + size)]);
}
