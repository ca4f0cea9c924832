/* testsuite/oracles/oracle_template_end.h: the end of one instantiation of oracle_template.h:
 * the includer's T, TN and T_* macros undefined, for the next type. No include guard. */
#undef T
#undef TN
#undef T_LIFT
#undef T_ADD
#undef T_SUB
#undef T_MUL
#undef T_DIV
#undef T_EXP
#undef T_LOG1P
#undef T_TANH
#undef T_RE
