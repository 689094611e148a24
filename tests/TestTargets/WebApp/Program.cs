// An ASP.NET Core service written the usual way (minimal APIs, DI, options, a memory cache), that
// leaks in three independent ways, driven over loopback by its own HttpClient in bounded loops:
//
//   DI singleton IMemoryCache (MemoryCache)      GET /products/{id} caches a ProductView per id: no size limit,
//                                                no expiry, so every id ever asked for stays
//   DI singleton IOptionsMonitor<PricingOptions> GET /quote: the request's scoped PriceCalculator subscribes to
//                                                OnChange and never disposes the subscription: the monitor's
//                                                listeners keep every calculator and its QuoteHistory
//   static WebApp.SessionStore.s_sessions         POST /login adds a Session to a static ConcurrentDictionary;
//                                                nothing ever removes one
//
// Phases 1..3: the driver sends 200 product requests (new ids), 200 quotes and 200 logins, then a
// checkpoint. Each phase adds exactly 200 ProductView, 200 PriceCalculator, 200 QuoteHistory and 200 Session.
using System.Collections.Concurrent;
using LeakExt.TestTargets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace WebApp;

public sealed class PricingOptions
{
    public decimal Markup { get; set; } = 1.2m;
}

public sealed record ProductView(int Id, string Name, byte[] Thumbnail);

public sealed class QuoteHistory
{
    public List<decimal> Quotes { get; } = new();
}

/// <summary>Per request; subscribes to option changes and never unsubscribes (the leak).</summary>
public sealed class PriceCalculator
{
    private PricingOptions _options;

    public PriceCalculator(IOptionsMonitor<PricingOptions> monitor)
    {
        _options = monitor.CurrentValue;
        monitor.OnChange(changed => _options = changed);
    }

    public QuoteHistory History { get; } = new();

    public decimal Quote(decimal basePrice)
    {
        decimal quote = basePrice * _options.Markup;
        History.Quotes.Add(quote);
        return quote;
    }
}

public sealed record Session(string User, DateTime Started, byte[] Token);

public static class SessionStore
{
    public static readonly ConcurrentDictionary<string, Session> s_sessions = new();
}

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddMemoryCache();
        builder.Services.Configure<PricingOptions>(_ => { });
        builder.Services.AddScoped<PriceCalculator>();

        WebApplication app = builder.Build();
        app.MapGet("/products/{id:int}", (int id, IMemoryCache cache) =>
            cache.GetOrCreate(id, _ => new ProductView(id, $"product {id}", new byte[256]))!.Name);
        app.MapGet("/quote", (PriceCalculator calculator) => calculator.Quote(10m));
        app.MapPost("/login/{user}", (string user) =>
        {
            SessionStore.s_sessions[user] = new Session(user, DateTime.UtcNow, new byte[64]);
            return "ok";
        });

        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        for (int phase = 1; phase <= 3; phase++)
        {
            for (int i = 0; i < 200; i++)
            {
                int n = (phase - 1) * 200 + i;
                await client.GetStringAsync($"/products/{n}");
                await client.GetStringAsync("/quote");
                (await client.PostAsync($"/login/user{n}", null)).EnsureSuccessStatusCode();
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Checkpoint.Reach(phase, $"requests-{phase * 200}");
        }
        await app.StopAsync();
        return 0;
    }
}
