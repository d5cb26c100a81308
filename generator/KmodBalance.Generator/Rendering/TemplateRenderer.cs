using System.Reflection;
using KmodBalance.Generator.Detection;
using Scriban;
using Scriban.Runtime;

namespace KmodBalance.Generator.Rendering;

/// <summary>
/// Renders the C templates (generator/templates/*.sbn, embedded) for a kernel API
/// profile. C# decides what goes where; templates only spell it out.
/// </summary>
public static class TemplateRenderer
{
    /// <summary>
    /// The balancer itself (flow table, mapper, remapper): kernel-API-neutral C that the
    /// differential tests also compile in user space against a shim of the kernel APIs.
    /// </summary>
    public static string BalancerCore() => Render("balancer_core.c.sbn", new ScriptObject());

    /// <summary>Module parameters, timer and the tun_struct glue of the dynamic policy.</summary>
    public static string BalancerGlue(KernelApiProfile profile, Tunables tunables) =>
        Render("balancer_glue.c.sbn", Model(profile, tunables));

    /// <summary>The read-only sysfs attribute balance_stats of the dynamic policy.</summary>
    public static string BalancerStats(KernelApiProfile profile) => Render("balancer_stats.c.sbn", new ScriptObject
    {
        ["emit"] = profile.HasSysfsEmit ? "sysfs_emit(buf, " : "scnprintf(buf, PAGE_SIZE, ",
        ["emit_at"] = profile.HasSysfsEmit ? "sysfs_emit_at(buf, len, " : "scnprintf(buf + len, PAGE_SIZE - len, ",
    });

    /// <summary>min(numqueues, real_num_tx_queues): the queue count both policies steer within.</summary>
    public static string SteerableQueues() => Render("steerable_queues.c.sbn", new ScriptObject());

    public static string HashSelect(KernelApiProfile profile) => Render("hash_select.c.sbn", Model(profile, new Tunables()));

    /// <summary>ACCESS_ONCE-era kernels (before 3.19) lack READ_ONCE/WRITE_ONCE.</summary>
    public static string OnceCompat() => Render("once_compat.c.sbn", new ScriptObject());

    public static string SelectQueue(KernelApiProfile profile, string policyFunction)
    {
        var model = Model(profile, new Tunables());
        model["policy_function"] = policyFunction;
        return Render("select_queue.c.sbn", model);
    }

    private static ScriptObject Model(KernelApiProfile profile, Tunables tunables)
    {
        var profileObject = new ScriptObject
        {
            ["select_queue_signature"] = profile.SelectQueueSignature,
            ["timer_setup"] = profile.TimerSetup,
            ["timer_container_of"] = profile.TimerContainerOf,
            ["timer_delete_sync"] = profile.TimerDeleteSync,
            ["flow_hash_call"] = profile.FlowHashCall,
            ["has_steering_prog"] = profile.HasSteeringProg,
        };
        var tunablesObject = new ScriptObject
        {
            ["threshold"] = tunables.Threshold,
            ["period_ms"] = tunables.PeriodMs,
            ["min_period_ms"] = Tunables.MinPeriodMs,
            ["max_period_ms"] = Tunables.MaxPeriodMs,
        };
        return new ScriptObject { ["profile"] = profileObject, ["tunables"] = tunablesObject };
    }

    private static string Render(string name, ScriptObject model)
    {
        var template = Template.Parse(ReadTemplate(name), name);
        if (template.HasErrors)
            throw new InvalidOperationException($"template {name}: {string.Join("; ", template.Messages)}");
        var context = new TemplateContext { StrictVariables = true, MemberRenamer = m => m.Name };
        context.PushGlobal(model);
        return template.Render(context);
    }

    private static string ReadTemplate(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("templates/" + name)
            ?? throw new InvalidOperationException($"template {name} is not embedded in the generator");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
