//! CROSSTABS, T-TEST, ONEWAY against PSPP and scipy.
