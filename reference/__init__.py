"""Reference implementations of every computable exercise in the course's five seed documents.

Each function is tested against an independent oracle in tests/reference/ (torch.optim, autograd,
torch.nn.functional.conv3d, finite differences, Monte Carlo, closed forms, sympy). Where a seed's
worked solution is wrong, the function's docstring says what is wrong and what is right. The
graded notebooks' functions (docs/assignments.md) have exactly the signatures students are given.
The same map, with the oracles and the seeds' errors, is docs/exercises.md.

Map from seed exercise to function (seed 000 = exercise sheet 4, 001 = NNTI sheet 6,
002 = assignment 2, 003 = TTIC 31230 midterm, 004 = Sharif THW2 answers):

=================  ==========================================================================
000 Ex 4.1         mlp.forward_mlp, mlp.backprop_weight_grads, mlp.grad_norm_vs_depth
000 Ex 4.2 a.1     minimisation.gram_sum
000 Ex 4.2 a.2     minimisation.is_pd
000 Ex 4.2 b       minimisation.quadratic_minimizer
000 Ex 4.2 c       minimisation.ode_solution (the seed's "-Mx m" must read -Mx - m)
000 Ex 4.3.1       adam.adam_step, adam.Adam, adam.gd_step
000 Ex 4.3.2       training.train, training.train_eval, training.loss_and_grad
001 6.1a           sigmoid.sigmoid, sigmoid.sigmoid_prime (the seed loses the minus sign)
001 6.1b           sigmoid.sigmoid_taylor_coeffs, sigmoid.sigmoid_taylor
001 6.1c           sigmoid.first_order_prediction
001 6.2a/b         xor.forward, xor.loss_fn, xor.manual_grads (one shared hidden bias)
001 6.3c           saddle.saddle_free_newton_step
002 Ex 1           shortcut.chain_grads, shortcut.chain_and_shortcut_grads, shortcut.path_sum_grads
                   (the inequality is false in general: shortcut.COUNTEREXAMPLE)
002 Ex 2           bump.ramp_bump_grad, bump.gd_1d, bump.adam_1d,
                   bump.adam_escape_height (0.410184295)
002 Ex 3           autograd_graph.label_autograd_graph
003 P1             ema.ema_beta_for_window, ema.ema
003 P2             noise.noisy_preactivation_mc
003 P3a-d          conv3d.conv3d_forward, conv3d.conv3d_backward, conv3d.conv3d_naive,
                   conv3d.conv3d_backward_naive, conv3d.pad_high
003 P4a-c          regularisers.norm_grad, regularisers.l2_equivalent_lambda,
                   regularisers.zero_is_strict_local_min, regularisers.block_soft_threshold
003 P5             line_search.exact_line_search_step, line_search.hvp_complex_step
004 Q1d            architecture.mlp_param_count (661)
004 Q1e            architecture.softmax2_to_logistic, architecture.logistic_to_softmax2
004 Q3a            regularised.reg_backprop
004 Q3c            regularised.sgd_step_reg
004 Q4a/b          adam.adam_step, adam.unrolled_m, adam.bias_corrected
004 Q5a/b          quadratic.gd_quadratic, quadratic.gd_closed_form
004 Q5c            quadratic.max_stable_lr (1/lambda_max for w^T H w)
004 Q5d            quadratic.newton_quadratic
004 Q6a            dropout.gaussian_dropout_expected_grad, dropout.gaussian_dropout_mc_grad
=================  ==========================================================================

Essay-only items (000 4.1 discussion, 001 6.3a/b, 004 Q1a-c, Q2, Q3b, Q5e, Q6b) have no
computable answer and no function; the graded notebooks discuss them in markdown.
"""
