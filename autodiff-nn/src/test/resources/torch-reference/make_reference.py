#!/usr/bin/env python3
"""Reference numbers for OptimizerTest, ScheduleTest and GradClipTest, made with PyTorch in float64.

Run from this folder (any PyTorch 2.x; the files here were made with the version named in their
first line):

    python3 make_reference.py

It writes optimizers.txt, schedules.txt and gradclip.txt: plain text, one record per line, numbers
written with repr() so that Java's Double.parseDouble reads back exactly the doubles PyTorch used.

optimizers.txt, per case:
    case NAME
    optimizer TYPE                     SGD | Adam | AdamW | RMSprop | AdaGrad
    option KEY VALUE...                lr, momentum, dampening, nesterov, weight_decay, betas,
                                       eps, alpha, centered, lr_decay, initial_accumulator
    schedule TYPE ARGS...              optional: StepDecay STEP_SIZE GAMMA, stepped after each step
    param I SHAPE VALUES...            initial values; SHAPE is "2,3", "4", or "-" for rank 0
    grad STEP I VALUES...              p.grad before optimizer step STEP (1-based); a parameter
                                       with no grad line for a step has no gradient (None)
    expect STEP I VALUES...            the parameter after optimizer step STEP
    state STEP I NAME VALUES...        optimizer state after the last step (NAME as in torch)
    end
schedules.txt:
    schedule NAME TYPE BASE_LR ARGS... then   lrs LR_0 LR_1 ... (lr after 0, 1, 2, ... steps)
gradclip.txt:
    clip NAME norm MAX_NORM NORM_TYPE | clip NAME value CLIP_VALUE
    grad I SHAPE VALUES... (before)   total TOTAL_NORM (norm only)   clipped I VALUES...   end
"""
import math
import os

import torch

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 5
SHAPES = [(2, 3), (4,), ()]


def fmt(values):
    return " ".join(repr(float(v)) for v in values)


def shape_str(shape):
    return ",".join(str(s) for s in shape) if len(shape) else "-"


def flat(t):
    return t.detach().reshape(-1).tolist()


def initial_params():
    g = torch.Generator().manual_seed(1234)
    return [torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES]


def gradients(count, seed):
    """Per step, one fixed gradient per parameter (of mixed signs and magnitudes)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for step in range(STEPS):
        per = []
        for i, s in enumerate(SHAPES[:count]):
            scale = [1.0, 0.1, 3.0][i] * (1 + 0.5 * step)
            per.append(torch.randn(s, generator=g, dtype=torch.float64) * scale)
        out.append(per)
    return out


# name, optimizer, options (as written for the Java side), torch constructor, schedule, params with grads
CASES = [
    ("sgd_plain", "SGD", [("lr", 0.1)],
     lambda p: torch.optim.SGD(p, lr=0.1, foreach=False), None, 3),
    ("sgd_momentum", "SGD", [("lr", 0.05), ("momentum", 0.9)],
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, foreach=False), None, 3),
    ("sgd_momentum_dampening_wd", "SGD",
     [("lr", 0.05), ("momentum", 0.8), ("dampening", 0.25), ("weight_decay", 0.01)],
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.25, weight_decay=0.01,
                               foreach=False), None, 3),
    ("sgd_nesterov_wd", "SGD",
     [("lr", 0.05), ("momentum", 0.9), ("nesterov", "true"), ("weight_decay", 1e-4)],
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4,
                               foreach=False), None, 3),
    ("sgd_momentum_steplr", "SGD", [("lr", 0.1), ("momentum", 0.9)],
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, foreach=False), ("StepDecay", 2, 0.5), 3),
    ("adam_default", "Adam", [("lr", 0.01)],
     lambda p: torch.optim.Adam(p, lr=0.01, foreach=False), None, 3),
    ("adam_betas_eps_wd", "Adam",
     [("lr", 0.1), ("betas", "0.8 0.95"), ("eps", 1e-6), ("weight_decay", 0.1)],
     lambda p: torch.optim.Adam(p, lr=0.1, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1,
                                foreach=False), None, 3),
    ("adam_param_without_grad", "Adam", [("lr", 0.05)],
     lambda p: torch.optim.Adam(p, lr=0.05, foreach=False), None, 2),
    ("adam_steplr", "Adam", [("lr", 0.1)],
     lambda p: torch.optim.Adam(p, lr=0.1, foreach=False), ("StepDecay", 2, 0.5), 3),
    ("adamw_default", "AdamW", [("lr", 0.01)],
     lambda p: torch.optim.AdamW(p, lr=0.01, foreach=False), None, 3),
    ("adamw_wd", "AdamW",
     [("lr", 0.1), ("betas", "0.85 0.99"), ("eps", 1e-7), ("weight_decay", 0.1)],
     lambda p: torch.optim.AdamW(p, lr=0.1, betas=(0.85, 0.99), eps=1e-7, weight_decay=0.1,
                                 foreach=False), None, 3),
    ("rmsprop_default", "RMSprop", [("lr", 0.01)],
     lambda p: torch.optim.RMSprop(p, lr=0.01, foreach=False), None, 3),
    ("rmsprop_momentum_wd", "RMSprop",
     [("lr", 0.01), ("alpha", 0.9), ("eps", 1e-6), ("momentum", 0.9), ("weight_decay", 0.01)],
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6, momentum=0.9,
                                   weight_decay=0.01, centered=False, foreach=False), None, 3),
    ("rmsprop_centered_momentum", "RMSprop",
     [("lr", 0.01), ("alpha", 0.95), ("momentum", 0.5), ("centered", "true")],
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.95, momentum=0.5, centered=True,
                                   foreach=False), None, 3),
    ("adagrad_default", "AdaGrad", [("lr", 0.1)],
     lambda p: torch.optim.Adagrad(p, lr=0.1, foreach=False), None, 3),
    ("adagrad_all_options", "AdaGrad",
     [("lr", 0.1), ("lr_decay", 0.05), ("weight_decay", 0.01), ("initial_accumulator", 0.1),
      ("eps", 1e-8)],
     lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.01,
                                   initial_accumulator_value=0.1, eps=1e-8, foreach=False),
     None, 3),
    ("adam_amsgrad_wd", "Adam",
     [("lr", 0.1), ("betas", "0.9 0.5"), ("weight_decay", 0.01), ("amsgrad", "true")],
     lambda p: torch.optim.Adam(p, lr=0.1, betas=(0.9, 0.5), weight_decay=0.01, amsgrad=True,
                                foreach=False), None, 3),
    ("adamw_amsgrad", "AdamW", [("lr", 0.05), ("betas", "0.8 0.6"), ("amsgrad", "true")],
     lambda p: torch.optim.AdamW(p, lr=0.05, betas=(0.8, 0.6), amsgrad=True, foreach=False),
     None, 3),
    ("sgd_nesterov_wd_maximize", "SGD",
     [("lr", 0.05), ("momentum", 0.9), ("nesterov", "true"), ("weight_decay", 0.01),
      ("maximize", "true")],
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01,
                               maximize=True, foreach=False), None, 3),
    ("adam_wd_maximize", "Adam", [("lr", 0.1), ("weight_decay", 0.1), ("maximize", "true")],
     lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=0.1, maximize=True, foreach=False),
     None, 3),
    ("adamw_maximize", "AdamW", [("lr", 0.1), ("weight_decay", 0.1), ("maximize", "true")],
     lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.1, maximize=True, foreach=False),
     None, 3),
    ("rmsprop_centered_maximize", "RMSprop",
     [("lr", 0.01), ("momentum", 0.5), ("centered", "true"), ("weight_decay", 0.01),
      ("maximize", "true")],
     lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True, weight_decay=0.01,
                                   maximize=True, foreach=False), None, 3),
    ("adagrad_wd_maximize", "AdaGrad",
     [("lr", 0.1), ("weight_decay", 0.01), ("maximize", "true")],
     lambda p: torch.optim.Adagrad(p, lr=0.1, weight_decay=0.01, maximize=True, foreach=False),
     None, 3),
]


def write_optimizers(out):
    for case_no, (name, kind, options, make, schedule, with_grad) in enumerate(CASES):
        params = [t.clone().requires_grad_(True) for t in initial_params()]
        grads = gradients(with_grad, seed=100 + case_no)
        opt = make(params)
        sched = None
        out.write(f"case {name}\noptimizer {kind}\n")
        for key, value in options:
            out.write(f"option {key} {value}\n")
        if schedule is not None:
            _, step_size, gamma = schedule
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)
            out.write(f"schedule StepDecay {step_size} {gamma!r}\n")
        for i, p in enumerate(params):
            out.write(f"param {i} {shape_str(tuple(p.shape))} {fmt(flat(p))}\n")
        for step in range(1, STEPS + 1):
            for i, p in enumerate(params):
                p.grad = grads[step - 1][i].clone() if i < with_grad else None
                if p.grad is not None:
                    out.write(f"grad {step} {i} {fmt(flat(p.grad))}\n")
            opt.step()
            if sched is not None:
                sched.step()
            for i, p in enumerate(params):
                out.write(f"expect {step} {i} {fmt(flat(p))}\n")
        for i, p in enumerate(params):
            for key, value in opt.state.get(p, {}).items():
                if key == "step":
                    out.write(f"state {STEPS} {i} step {float(value)!r}\n")
                elif torch.is_tensor(value) and value.shape == p.shape:
                    out.write(f"state {STEPS} {i} {key} {fmt(flat(value))}\n")
        out.write("end\n")


def write_schedules(out):
    base = 0.1
    steps = 30

    def run(name, kind, args, make):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=base)
        sched = make(opt)
        lrs = [opt.param_groups[0]["lr"]]
        for _ in range(steps):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        out.write(f"schedule {name} {kind} {base!r} {' '.join(repr(a) for a in args)}\n")
        out.write(f"lrs {fmt(lrs)}\n")

    lr_sched = torch.optim.lr_scheduler
    run("step_3_half", "StepDecay", [3, 0.5], lambda o: lr_sched.StepLR(o, step_size=3, gamma=0.5))
    run("step_1_tenth", "StepDecay", [1, 0.1], lambda o: lr_sched.StepLR(o, step_size=1, gamma=0.1))
    run("exponential_0.9", "ExponentialDecay", [0.9], lambda o: lr_sched.ExponentialLR(o, gamma=0.9))
    run("exponential_0.99", "ExponentialDecay", [0.99],
        lambda o: lr_sched.ExponentialLR(o, gamma=0.99))
    # torch has no 1/t schedule: LambdaLR with the same formula, lr = lr0 / (1 + decay t)
    run("inverse_time_0.5", "InverseTimeDecay", [0.5],
        lambda o: lr_sched.LambdaLR(o, lambda t: 1.0 / (1.0 + 0.5 * t)))
    # past T_max torch's cosine keeps going (it rises again): 30 steps cover 1.5 periods of T_max 10
    run("cosine_10", "CosineDecay", [10, 0.0], lambda o: lr_sched.CosineAnnealingLR(o, T_max=10))
    run("cosine_7_min", "CosineDecay", [7, 0.01],
        lambda o: lr_sched.CosineAnnealingLR(o, T_max=7, eta_min=0.01))


def write_gradclip(out):
    g = torch.Generator().manual_seed(99)
    grads = [torch.randn(s, generator=g, dtype=torch.float64) * c
             for s, c in zip(SHAPES, [1.0, 4.0, 0.5])]

    def params_with(gs):
        ps = []
        for grad in gs:
            p = torch.zeros_like(grad, requires_grad=True)
            p.grad = grad.clone()
            ps.append(p)
        return ps

    def header(gs):
        for i, grad in enumerate(gs):
            out.write(f"grad {i} {shape_str(tuple(grad.shape))} {fmt(flat(grad))}\n")

    for name, max_norm, norm_type in [("norm2_clips", 1.0, 2.0), ("norm2_no_clip", 100.0, 2.0),
                                      ("norm_inf", 0.5, math.inf), ("norm1", 2.0, 1.0),
                                      ("norm3", 1.5, 3.0)]:
        ps = params_with(grads)
        out.write(f"clip {name} norm {max_norm!r} {norm_type!r}\n")
        header(grads)
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type, foreach=False)
        out.write(f"total {float(total)!r}\n")
        for i, p in enumerate(ps):
            out.write(f"clipped {i} {fmt(flat(p.grad))}\n")
        out.write("end\n")
    for name, clip in [("value_0.5", 0.5), ("value_2", 2.0)]:
        ps = params_with(grads)
        out.write(f"clip {name} value {clip!r}\n")
        header(grads)
        torch.nn.utils.clip_grad_value_(ps, clip, foreach=False)
        for i, p in enumerate(ps):
            out.write(f"clipped {i} {fmt(flat(p.grad))}\n")
        out.write("end\n")


def main():
    banner = f"# made by make_reference.py with torch {torch.__version__}, float64\n"
    for file, writer in [("optimizers.txt", write_optimizers), ("schedules.txt", write_schedules),
                         ("gradclip.txt", write_gradclip)]:
        with open(os.path.join(HERE, file), "w") as out:
            out.write(banner)
            writer(out)


if __name__ == "__main__":
    main()
