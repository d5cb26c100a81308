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

    /// <summary>The adaptive balancer (flow table, mapper, remapper): kernel-API-neutral like <see cref="BalancerCore"/>.</summary>
    public static string AdaptiveCore() => Render("adaptive_core.c.sbn", new ScriptObject());

    /// <summary>The flow-table policy's core C, as the module and the user-space driver carry it.</summary>
    public static string Core(Policy policy) => policy switch
    {
        Policy.Dynamic => BalancerCore(),
        Policy.Adaptive => AdaptiveCore(),
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "only dynamic and adaptive have a balancer core"),
    };

    /// <summary>
    /// What adaptive reads of tun: whether a queue still holds a packet (tun's ptr_ring since Linux
    /// 4.16, <paramref name="ptrRing"/>; the socket's receive queue before) and the queue tun's flow
    /// table learned for a flow.
    /// </summary>
    public static string AdaptiveGlue(KernelApiProfile profile, bool ptrRing) => Render("adaptive_glue.c.sbn", new ScriptObject
    {
        ["ptr_ring"] = ptrRing,
        // tun_net_xmit()'s drop of a paused flow's packets hashes them as the select did
        ["flow_hash_call"] = profile.FlowHashCall,
        ["has_steering_prog"] = profile.HasSteeringProg,
    });

    /// <summary>
    /// The opt-in machinery every policy shares (module parameters, per-device state,
    /// statistics) and the policy's select: for dynamic also its timer, detach and XDP glue.
    /// </summary>
    public static string BalancerGlue(KernelApiProfile profile, Policy policy, Tunables tunables)
    {
        var model = Model(profile, tunables);
        // the flow-table policies share dynamic's glue (timer, tunables, detach, XDP, statistics)
        var dynamic = policy.Remaps();
        model["dynamic"] = dynamic;
        model["policy"] = policy.Name();
        model["xdp"] = profile.HasXdpXmit;
        model["alloc"] = profile.StateAlloc(large: dynamic);
        model["free"] = profile.StateFree(large: dynamic);
        model["timer_shutdown"] = profile.TimerShutdownSync;
        return Render("balancer_glue.c.sbn", model);
    }

    /// <summary>The writable sysfs attribute balance: the per-device switch.</summary>
    public static string BalanceAttribute(KernelApiProfile profile) => Render("balance_attr.c.sbn", new ScriptObject
    {
        ["emit"] = profile.HasSysfsEmit ? "sysfs_emit(buf, " : "scnprintf(buf, PAGE_SIZE, ",
    });

    /// <summary>The test tun_flow_update() asks before learning a flow's queue.</summary>
    public static string BalanceLearning(KernelApiProfile profile) => Render("balance_learning.c.sbn", Model(profile, new Tunables()));

    /// <summary>min(numqueues, real_num_tx_queues): the queue count both policies steer within.</summary>
    public static string SteerableQueues() => Render("steerable_queues.c.sbn", new ScriptObject());

    /// <summary>The hash policy's state: only the mark that a device balances.</summary>
    public static string HashState() => Render("hash_state.c.sbn", new ScriptObject());

    /// <summary>ACCESS_ONCE-era kernels (before 3.19) lack READ_ONCE/WRITE_ONCE.</summary>
    public static string OnceCompat() => Render("once_compat.c.sbn", new ScriptObject());

    public static string SelectQueue(KernelApiProfile profile) => Render("select_queue.c.sbn", Model(profile, new Tunables()));

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
            ["has_automq_function"] = profile.HasAutomqFunction,
            ["select_queue_arguments"] = profile.SelectQueueArguments,
            ["show_attribute"] = profile.HasShowAttribute,
        };
        var tunablesObject = new ScriptObject
        {
            ["threshold"] = tunables.Threshold,
            ["period_ms"] = tunables.PeriodMs,
            ["min_period_ms"] = Tunables.MinPeriodMs,
            ["max_period_ms"] = Tunables.MaxPeriodMs,
        };
        return new ScriptObject { ["profile"] = profileObject, ["tunables"] = tunablesObject, ["rfs"] = profile.RpsNeededCheck };
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
